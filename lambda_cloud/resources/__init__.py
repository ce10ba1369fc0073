"""One module per resource group of the API, each imported when the client first uses it."""
