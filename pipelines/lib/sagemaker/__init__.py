"""Pure helpers that turn SageMaker and CloudWatch API responses into warehouse rows."""
