"""Training: YAML recipes, the seed's loss schedule, Lightning module/data, resumable runs."""

from monocle.train.recipe import Recipe, RecipeError, load_recipe
from monocle.train.run import TrainResult, train

__all__ = ["Recipe", "RecipeError", "TrainResult", "load_recipe", "train"]
