"""Support Hero: a serverless support desk for teams whose engineers do support."""
