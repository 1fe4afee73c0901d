"""Platform adapters: translate platform events to IncomingMessage and Reply to API calls."""
