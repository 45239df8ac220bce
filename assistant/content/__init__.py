"""The article, the reflection scripts, the spoken phrases and the loaders that check them."""
