"""The exception types that mean "the user asked for something wrong" and "the run could not go on"."""


class UserError(Exception):
  """A mistake in a user's input: the CLI prints its message on one line and exits 2.

  Raise it (or a subclass) for bad files, bad values and misspelt keys; let
  programming errors raise anything else, so they keep their traceback.
  """


class RunFailed(Exception):
  """A run that cannot go on for a reason outside the code, e.g. its actors all died.

  Raise it after saving what the run has; the CLI prints its message on one
  line and exits 1.
  """
