; Candidates for the database facts (analyzer/facts/python_db.py), one pass per file.

(assignment) @assignment
(for_statement) @for
(for_in_clause) @for_in
