"""The VK channel: a community bot on vkbottle's API client, fed through the durable inbox."""
