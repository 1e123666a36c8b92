"""The Nova RFT job's Lambdas, one package and one asset: ``custom_resource`` (``Custom::RftTrainingJob``) and
``events`` (reactions to the job's EventBridge state changes). Code both use lives here, beside the two."""
