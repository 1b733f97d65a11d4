"""nnlint's rules, one module per rule (installed as `nnlint.rules`).

Adding a rule means adding one module here with one `Rule` subclass: its code, name, severity, message,
hint, docs (the class docstring), `VALID` / `INVALID` examples and visitor methods. The registry finds it;
`tests/test_rule_examples.py` turns its examples into tests.
"""
