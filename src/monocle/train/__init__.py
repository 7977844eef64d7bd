"""Training: YAML recipes, the seed's loss schedule, Lightning module/data, resumable runs."""

from monocle.train.recipe import Recipe, RecipeError, load_recipe, recipe_from_dict
from monocle.train.run import TrainResult, train

__all__ = ["Recipe", "RecipeError", "TrainResult", "load_recipe", "recipe_from_dict", "train"]
