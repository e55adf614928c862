"""Commands (one per write use case) and the unit of work that commits them.

A command validates, locks and writes inside the session it is given and never commits; the
unit of work (`Database.write`) opens the transaction, runs the command, and commits before
anything is returned to the caller.
"""
