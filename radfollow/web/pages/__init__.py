"""One router per page: login, worklist, detail (and its actions), dashboard, users."""
