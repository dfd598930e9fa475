"""The dashboard's panels (one module each) and the widgets they share."""
