"""mlplatform components: clusters, platform add-ons, ModelService, catalog, naming, versions, the offline plan."""
