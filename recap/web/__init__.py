"""`recap studio`: a local web app over the library (another face, like the CLI)."""
