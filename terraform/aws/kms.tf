# Two keys so that the app's role can be allowed to decrypt its secrets without being able to read
# anything else encrypted here (Kubernetes secrets, control plane logs, images).

data "aws_iam_policy_document" "kms_account_admin" {
  # checkov:skip=CKV_AWS_109: key policy: "*" is the key itself, and delegating to the account root is AWS's default key policy.
  # checkov:skip=CKV_AWS_111: key policy: "*" is the key itself; IAM policies in the account still have to grant each use.
  # checkov:skip=CKV_AWS_356: key policy: a key policy's Resource can only be "*" (the key it is attached to).
  statement {
    sid       = "AccountAdministersKey"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }
}

data "aws_iam_policy_document" "kms_platform" {
  source_policy_documents = [data.aws_iam_policy_document.kms_account_admin.json]

  statement {
    sid = "CloudWatchLogsUseKey"
    actions = [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
    }
  }
}

resource "aws_kms_key" "platform" {
  description             = "${local.name}: EKS secrets envelope encryption, control plane logs, ECR images"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = data.aws_iam_policy_document.kms_platform.json
}

resource "aws_kms_alias" "platform" {
  name          = "alias/${local.name}-platform"
  target_key_id = aws_kms_key.platform.key_id
}

resource "aws_kms_key" "secrets" {
  description             = "${local.name}: Secrets Manager secrets of ${local.contract.app_name}"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = data.aws_iam_policy_document.kms_account_admin.json
}

resource "aws_kms_alias" "secrets" {
  name          = "alias/${local.name}-secrets"
  target_key_id = aws_kms_key.secrets.key_id
}
