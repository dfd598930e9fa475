"""botstore's Textual monitor: the app, its screens and panels, and the models they draw."""
