"""The one exception type that means "the user asked for something wrong"."""


class UserError(Exception):
  """A mistake in a user's input: the CLI prints its message on one line and exits 2.

  Raise it (or a subclass) for bad files, bad values and misspelt keys; let
  programming errors raise anything else, so they keep their traceback.
  """
