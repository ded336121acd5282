"""One flat rx.State per page; thin: open a session, call a repository, keep display-ready values."""
