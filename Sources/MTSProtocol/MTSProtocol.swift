// Placeholder: the MTS protocol models arrive with the protocol issue.
