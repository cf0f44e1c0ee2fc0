"""Experiments: compare two revisions (results, data, predictions, performance), gate merges, sweep.

`revisions` reads one side (workspace, git revision or DVC experiment) through DVC,
`snapshot` collects what a comparison needs from it, `gates` judges changes, `compare`
and `predictions` build the report data with pure functions, `render` turns it into
Markdown and plots, `space` checks a search space against the params schema, `sweep`
drives optuna over real `dvc exp run` trials (`trials` records each one's sweep, `owners`
tells whether that sweep still runs), `seeds` runs replicates, `runs` runs dvc so that
stopping pipelab stops it cleanly (`deathsig`: also when pipelab is SIGKILLed), `github`
keeps one pull-request comment up to date.
"""
