"""Dashboard widgets about access reviews: progress and open findings by kind."""
