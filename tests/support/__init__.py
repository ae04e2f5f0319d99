"""What the tests share: fixtures, fake servers, the Snowflake emulator, code locations."""
