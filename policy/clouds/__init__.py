"""Each cloud's policy module: its share of the generic rules (policy/rules/percloud.py), registered in
components/clouds.py (:attr:`components.clouds.Cloud.policy`)."""
