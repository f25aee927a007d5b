"""Drift: IaC (Terraform), scan-to-scan (history) and baseline policy."""
