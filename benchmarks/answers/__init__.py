"""Reading answers (litellm_fusion/engine/answers): agreement recall and precision per format and family, and on recorded replies as they are."""
