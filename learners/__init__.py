"""Floor 3: learners (R-NaD, retrieval-augmented, supervised); losses are pure functions."""
