"""Rules about perfscan's own comments rather than about the code's speed."""
