"""Settings shared by the tests of behaviour (not of the default recipe)."""

#: The recipe's parts switched off: one network, raw features, constant learning rate,
#: no label smoothing, independent decoding. Tests of forms, gates, persistence, trunks
#: and loss weighting are about behaviour, not the recipe (tests/test_recipe.py), and one
#: small plain network trains fastest and most predictably.
CLASSIC = dict(ensemble_size=1, preprocessing=None, lr_schedule="constant",
               label_smoothing=0.0, decode="independent")
