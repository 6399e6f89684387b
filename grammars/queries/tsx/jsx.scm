; JSX elements: compiled only for the tsx grammar (JSX node types do not exist in plain typescript).
(jsx_opening_element) @element
(jsx_self_closing_element) @element
