"""Full-screen views above the dashboard: detail, confirm an action, help, filter."""
