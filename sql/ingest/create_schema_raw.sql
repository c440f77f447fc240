-- Landing schema for everything ingested from outside (billing exports, SageMaker, CloudWatch).
create schema if not exists raw
