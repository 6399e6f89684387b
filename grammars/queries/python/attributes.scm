; Attribute reads inside one region (a loop body), captured on demand by
; python_db.py: most files never need them, so the facts pass leaves them out.

(attribute) @attribute
