"""What the bodies of the API's writes share."""

from pydantic import BaseModel, Field

from ..node import Actor


class Signed(BaseModel):
    """Who signs: an identity of this node (default: the home's default identity)."""

    as_: str | None = Field(None, alias="as")
    passphrase: str | None = None

    def actor(self) -> Actor:
        return Actor(self.as_, self.passphrase)
