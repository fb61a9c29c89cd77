from django import forms

from projects.importer import MAX_FILE_BYTES


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="Excel 工作簿",
        help_text="数据工作簿（含“项目”“指标”等工作表）或本系统导出的绩效目标表（.xlsx）",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )
    year = forms.IntegerField(
        label="年度",
        required=False,
        min_value=2000,
        max_value=2100,
        help_text="仅在导入不含年度信息的绩效目标表时需要",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                f"文件过大（超过 {MAX_FILE_BYTES // 2**20} MB），请拆分后分批导入。"
            )
        return upload
