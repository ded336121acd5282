"""crm_app: a CRM with its analytics built in."""
