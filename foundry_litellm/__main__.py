"""``python -m foundry_litellm`` is the same program as ``foundry-litellm``."""

from foundry_litellm.cli import main

if __name__ == "__main__":
    main()
