"""Staff pages about people: the people list and import, groups and seminars, data requests."""
