"""Amazon Bedrock token counts: CloudWatch AWS/Bedrock metrics and model invocation logs."""
