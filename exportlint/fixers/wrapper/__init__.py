"""What a fixer works on: the `Fixer` base and its context, the `WrapperPlan`, the identity plan
every fix starts from, and the rendering of a plan as the wrapper module's source."""
