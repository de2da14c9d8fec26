"""One class per operation: type inference (make_node), computation (perform), gradient (grad)."""
