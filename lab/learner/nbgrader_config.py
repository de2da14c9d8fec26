"""nbgrader's Validate button in `make lab`: it runs the whole notebook, in the mode the lab runs
(COURSE_MODE, full by default), where one training cell may take minutes."""
c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)
c.Execute.timeout = 1800
