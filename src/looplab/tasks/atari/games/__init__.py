"""One module per Atari game (everything about the game in one file); see `looplab.tasks.atari`."""
