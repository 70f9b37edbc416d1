terraform {
  # 1.9: the env validation reads the synthesized environments list through var.manifests_dir.
  required_version = ">= 1.9"
}
