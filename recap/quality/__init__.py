"""How faithful and useful the notes are.

- `support`: every figure and proper name of a bullet must occur in its source text (the notes
  stage repairs or drops the bullets that fail).
- `coverage`: the share of the transcript's figures and names that reach the notes, per chunk.
- `report`: what `recap check` prints; `facts`: what `recap eval` prints (fact recall).
"""
