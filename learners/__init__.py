"""Floor 3: learners (today R-NaD); losses are pure functions."""
