; Candidates for the TS/TSX facts model (valid in both the typescript and the tsx grammar).
(function_declaration) @function
(generator_function_declaration) @function
(function_expression) @function
(arrow_function) @function
(method_definition) @function
(class_declaration) @class
(class) @class
(variable_declarator) @declarator
(call_expression) @call
(import_statement) @import
(export_statement) @export
; Names assigned after their declaration: their data may no longer be what the declaration said.
(assignment_expression left: (identifier) @assigned)
(augmented_assignment_expression left: (identifier) @assigned)
; `for (const row of rows)`: the loop variable is an element of `rows`.
(for_in_statement) @for_loop
