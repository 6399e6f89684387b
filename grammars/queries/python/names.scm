; What a file's names-only facts need (analyzer/facts/__init__.py `names_only`): its functions,
; classes and imports. A subset of facts.scm, for test files nothing else reads.

(function_definition) @function
(class_definition) @class

(import_statement) @import
(import_from_statement) @import
(global_statement) @global
(nonlocal_statement) @global
