// Placeholder: the correlation engine arrives with the engine issue.
