"""The one error type of the Cypher library, console and worker."""


class QueryError(Exception):
    """A problem with a query, its parameters or its run; the message is one clear line."""
