"""What a person or a scheduler does that writes and needs the numbers: recording a decision with the
review as it stood (`actions.decide`). Both the command line and the dashboard call these, so a
decision is taken the same way wherever it is taken.
"""
