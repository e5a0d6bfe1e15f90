"""The chat assistant: a provider turns a message into an Intent; executor.run() carries it out."""
