; Candidates for PythonFacts, collected in one query pass over the file.
; Each capture name is one kind of fact; python.py sorts them by position.

(function_definition) @function
(lambda) @lambda
(class_definition) @class

(import_statement) @import
(import_from_statement) @import

(assignment) @assignment
(augmented_assignment) @rebind
(named_expression) @walrus
(with_item) @with_item
(for_statement) @for
(for_in_clause) @for_in
(except_clause) @except
(global_statement) @global
(nonlocal_statement) @global

(await) @await
(call) @call
(return_statement) @return

(while_statement) @while
(list_comprehension) @comprehension
(set_comprehension) @comprehension
(dictionary_comprehension) @comprehension
(generator_expression) @comprehension
